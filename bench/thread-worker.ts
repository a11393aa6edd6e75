/** Node worker entry for saeno's fused kernels: loads the kernel modules and answers the pool's messages. */
import { parentPort } from 'node:worker_threads';
import '../src/core/kernels/ista-dense.js';
import '../src/core/kernels/ista-spectral.js';
import { handleWorkerMessage } from '../src/core/parallel.js';

parentPort?.on('message', handleWorkerMessage);
