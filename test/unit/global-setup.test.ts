import { selectedProjects } from '../helpers/kafka-global-setup';

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
});
