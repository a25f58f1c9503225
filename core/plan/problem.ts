// What a plan check reports: where in the plan (a path of keys and indexes) and what is wrong there.

export type PlanPath = (string | number)[];

export interface CrossReferenceProblem {
  path: PlanPath;
  message: string;
}
