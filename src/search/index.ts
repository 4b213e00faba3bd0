export * from './space.js';
export * from './scheduler.js';
export * from './loop.js';
export * from './tpe.js';
export * from './grid.js';
export * from './median.js';
