/** One round of the denoiser's training history (an epoch with one round per epoch), as model/history.json and metrics.json record it. */
export interface EpochRecord {
  /** Epochs completed (fractional with several rounds per epoch). */
  epoch: number;
  train_loss: number;
  val_loss: number;
  /** Share of validation traces whose recovered peak is within the peak tolerance. */
  val_peak_accuracy: number;
  learning_rate: number;
  seconds: number;
  traces_per_s: number;
}
