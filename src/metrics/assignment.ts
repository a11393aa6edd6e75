/**
 * Optimal one-to-one assignment (Hungarian / Munkres) for matching atoms, concepts and
 * detections; a thin, validated wrapper around the `munkres` package.
 */
import { munkres } from 'munkres';

/** Bad input to a metric: the message names the function and the offending field. */
export class MetricsError extends Error {
  override name = 'MetricsError';
}

/**
 * Minimum-cost one-to-one assignment of rows to columns.
 * @param cost `cost[r][c]`, a rectangular `R×C` matrix of finite numbers (R ≠ C allowed).
 * @returns `assign[r]` = the column given to row `r`, or −1 when `R > C` leaves `r` out.
 *   Exactly `min(R, C)` rows are assigned and the sum of their costs is minimal.
 */
export function optimalAssignment(cost: ArrayLike<ArrayLike<number>>): number[] {
  const rows = cost.length;
  const assign = new Array<number>(rows).fill(-1);
  if (rows === 0) return assign;
  const cols = cost[0]!.length;
  for (let r = 0; r < rows; r++) {
    const row = cost[r]!;
    if (row.length !== cols) {
      throw new MetricsError(`optimalAssignment: cost row ${r} has ${row.length} columns, row 0 has ${cols}`);
    }
    for (let c = 0; c < cols; c++) {
      if (!Number.isFinite(row[c])) throw new MetricsError(`optimalAssignment: cost[${r}][${c}] is ${row[c]}`);
    }
  }
  if (cols === 0) return assign;
  for (const [r, c] of munkres(cost)) assign[r] = c;
  return assign;
}

/**
 * Maximum-weight one-to-one assignment (e.g. similarities, confusion counts): the
 * minimum-cost assignment of the negated weights.
 * @param weight `weight[r][c]`, rectangular `R×C`. @returns as {@link optimalAssignment}.
 */
export function maxWeightAssignment(weight: ArrayLike<ArrayLike<number>>): number[] {
  const neg: number[][] = [];
  for (let r = 0; r < weight.length; r++) neg.push(Array.from(weight[r]!, (w) => -w));
  return optimalAssignment(neg);
}
