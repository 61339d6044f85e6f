export interface NormkitVitestOptions {
  /** Per-test timeout in ms (default 30 s). */
  testTimeout?: number;
}
export declare function normkitVitestConfig(options?: NormkitVitestOptions): {
  resolve: { conditions: string[] };
  ssr: { resolve: { conditions: string[]; externalConditions: string[] } };
  test: {
    include: string[];
    setupFiles: string[];
    reporters: string[];
    outputFile: { json: string };
    testTimeout: number;
    pool: 'threads';
  };
};
