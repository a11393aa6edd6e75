/** Sparse generative models with known truth (SPEC §3): Euclidean and functional, concept families, truth coherence. */
export * from './concepts.js';
export * from './coherence.js';
export * from './euclidean.js';
export * from './functional.js';
