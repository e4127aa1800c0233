/**
 * The pending benchmark's tenths (bench/usage.ts, cpuBetweenMarks): between each mark and the next,
 * how many creates a second and each process's CPU per create.
 */
import { cpuBetweenMarks, type CpuMark } from '../../bench/usage';

describe('cpuBetweenMarks', () => {
  it("divides each process's CPU between two marks by the creates between them", () => {
    const marks = [
      { atMs: 1_000, count: 1, cpuMs: { temporal: 100, worker: 50 } },
      { atMs: 2_000, count: 11, cpuMs: { temporal: 500, worker: 250 } },
      { atMs: 4_000, count: 21, cpuMs: { temporal: 1_000, worker: 400 } },
    ];
    expect(cpuBetweenMarks(marks)).toEqual([
      { count: 11, perS: 10, cpuMsEach: { temporal: 40, worker: 20, all: 60 } },
      { count: 21, perS: 5, cpuMsEach: { temporal: 50, worker: 15, all: 65 } },
    ]);
  });

  it('leaves out a process missing from either mark, and has nothing for fewer than two marks', () => {
    const marks: CpuMark[] = [
      { atMs: 0, count: 0, cpuMs: { temporal: 0 } },
      { atMs: 1_000, count: 4, cpuMs: { temporal: 40, mariadb: 8 } },
    ];
    expect(cpuBetweenMarks(marks)).toEqual([{ count: 4, perS: 4, cpuMsEach: { temporal: 10, all: 10 } }]);
    expect(cpuBetweenMarks(marks.slice(0, 1))).toEqual([]);
  });
});
