// The part of logic-solver (MiniSat compiled to JavaScript, a devDependency: the SAT oracle) the tests use.
declare module 'logic-solver' {
  type Formula = string | FormulaObject;
  interface FormulaObject {
    readonly __formula: true;
  }
  interface Solution {
    getTrueVars(): string[];
  }
  class Solver {
    require(...formulas: (Formula | Formula[])[]): void;
    forbid(...formulas: (Formula | Formula[])[]): void;
    solve(): Solution | null;
  }
  const Logic: {
    Solver: typeof Solver;
    or(...operands: (Formula | Formula[])[]): FormulaObject;
    and(...operands: (Formula | Formula[])[]): FormulaObject;
    not(operand: Formula): FormulaObject;
    implies(a: Formula, b: Formula): FormulaObject;
    atMostOne(...operands: (Formula | Formula[])[]): FormulaObject;
  };
  export default Logic;
}
