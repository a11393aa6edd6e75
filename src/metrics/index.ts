/** Recovery metrics (SPEC §5): dictionary, codes, reconstruction. Pure functions on arrays; no training or model imports. */
export { MetricsError, optimalAssignment, maxWeightAssignment } from './assignment.js';
export {
  dictionaryError,
  shiftInvariantDictionaryError,
  mutualCoherence,
  resampleFourier,
  resampleNearest,
  type Atoms,
  type DictionaryErrorResult,
  type ShiftInvariantDictionaryErrorResult,
  type ShiftInvariantOptions,
  type CoherenceResult,
} from './dictionary.js';
export {
  circularDistance,
  detectSupport,
  supportMetrics,
  supportMetricsEuclidean,
  fitOneSparseCalibration,
  oneSparseAccuracy,
  type Occurrence,
  type Detection,
  type SupportMetrics,
  type SupportOptions,
  type CodeConvention,
  type OneSparseCalibration,
  type OneSparseLayout,
  type OneSparseResult,
} from './codes.js';
export { relativeError, relativeErrorPerSignal, psnr, meanL0 } from './reconstruction.js';
