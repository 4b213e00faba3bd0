/** Worker thread entry: runs trials on the data it was started with. */
import { serveTasks } from '../../search/pool.js';
import { runTrial, type TrialData, type TrialTask } from './trial.js';

serveTasks<TrialTask, unknown>((task, data: TrialData) => runTrial(task, data));
