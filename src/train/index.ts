/** Training: data sources, the trainer, schedules, checkpoints and the metrics of a model against known truth. */
export * from './defaults.js';
export { learningRate, scheduleSchema, type Schedule } from './schedule.js';
export {
  ArraySource,
  OnlineSource,
  generatorModel,
  generatorSpecSchema,
  generatorTruth,
  type ArrayData,
  type DataSource,
  type GeneratorSpec,
  type LabelledBatch,
  type SourceState,
  type Truth,
} from './source.js';
export { evaluate, fitCalibration, inferAll, matchDictionary, type EvaluateOptions, type Metrics } from './evaluate.js';
export { DivergenceError, Trainer, trainConfigSchema, type EvalRecord, type StepRecord, type TrainConfig, type TrainConfigInput, type TrainHooks, type TrainerState } from './trainer.js';
export {
  CheckpointError,
  RUN_FORMAT,
  decodeRunConfig,
  decodeState,
  decodeWeights,
  encodeCheckpoint,
  encodeWeights,
  runConfigSchema,
  dataDescriptionSchema,
  type CheckpointFiles,
  type DataDescription,
  type RunConfig,
} from './checkpoint.js';
export { generate, train, type GeneratedData, type GenerateOptions, type TrainOptions } from './api.js';
