/**
 * The lifecycle benchmark reports its pairs of blocks' ratios with their mean and the mean's
 * standard error (bench/stats.ts, spreadOf): how far one run's ratio may be from the machine's.
 */
import { spreadOf } from '../../bench/stats';

describe('spreadOf', () => {
  it("gives the values' range, mean and the mean's standard error", () => {
    // A sample standard deviation of 0.082 over four values: a standard error of 0.041.
    expect(spreadOf([0.8, 0.9, 1.0, 0.9])).toEqual({ min: 0.8, max: 1, mean: 0.9, standardError: 0.04 });
    expect(spreadOf([1.2, 0.8])).toEqual({ min: 0.8, max: 1.2, mean: 1, standardError: 0.2 });
  });

  it('has no error for one value, and zeros for none', () => {
    expect(spreadOf([0.93])).toEqual({ min: 0.93, max: 0.93, mean: 0.93, standardError: 0 });
    expect(spreadOf([])).toEqual({ min: 0, max: 0, mean: 0, standardError: 0 });
  });
});
