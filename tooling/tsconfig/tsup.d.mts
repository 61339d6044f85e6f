export declare function packageBuild(entry?: string[]): {
  entry: string[];
  format: ('esm' | 'cjs')[];
  dts: { compilerOptions: { ignoreDeprecations: string } };
  sourcemap: boolean;
  clean: boolean;
  target: string;
};
