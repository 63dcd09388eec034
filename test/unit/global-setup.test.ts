import { onlyUnitPaths, selectedProjects } from '../helpers/kafka-global-setup';

describe("the test run's Kafka setup", () => {
  it('reads the projects jest was told to run, so unit tests alone start no broker', () => {
    expect(selectedProjects(['node', 'jest', '--selectProjects', 'unit'])).toEqual(['unit']);
    expect(selectedProjects(['node', 'jest', '--selectProjects', 'unit', 'e2e', '--ci'])).toEqual([
      'unit',
      'e2e',
    ]);
    expect(selectedProjects(['node', 'jest', '--selectProjects=unit,fault'])).toEqual([
      'unit',
      'fault',
    ]);
    expect(selectedProjects(['node', 'jest', '--ci'])).toBeUndefined();
  });

  it('keeps only names that are projects, as jest does with a path after --selectProjects', () => {
    expect(
      selectedProjects(['node', 'jest', '--selectProjects', 'unit', 'test/unit/time.test.ts']),
    ).toEqual(['unit']);
    expect(
      selectedProjects(['node', 'jest', '--selectProjects', 'e2e', 'test/unit/time.test.ts']),
    ).toEqual(['e2e']);
    expect(selectedProjects(['node', 'jest', '--selectProjects', 'nothing'])).toEqual([]);
    // repeated flags add up, as in jest
    expect(
      selectedProjects(['node', 'jest', '--selectProjects', 'unit', '--selectProjects', 'e2e']),
    ).toEqual(['unit', 'e2e']);
    expect(
      selectedProjects(['node', 'jest', '--selectProjects=unit', '--selectProjects', 'fault']),
    ).toEqual(['unit', 'fault']);
  });

  it('starts no broker for test paths under test/unit/ alone', () => {
    const root = '/repo';
    expect(onlyUnitPaths(['test/unit/time.test.ts'], root)).toBe(true);
    expect(onlyUnitPaths(['./test/unit/', '/repo/test/unit/json.test.ts'], root)).toBe(true);
    expect(onlyUnitPaths(['test/unit/time.test.ts', 'test/e2e/'], root)).toBe(false);
    expect(onlyUnitPaths(['time'], root)).toBe(false);
    expect(onlyUnitPaths(['test/unit/|e2e'], root)).toBe(false);
    expect(onlyUnitPaths(['test/unit/.*'], root)).toBe(false);
    expect(onlyUnitPaths([], root)).toBe(false);
  });
});
