export * from './space.js';
export * from './scheduler.js';
export * from './loop.js';
