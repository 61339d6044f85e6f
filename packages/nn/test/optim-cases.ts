// The torch-fixture checks every optimizer test file runs on its own cases.
import { assertClose, fixtureTensorData } from '@normkit/test-utils';
import { expect, it } from 'vitest';
import { build, freshParams, type OptimCase, runStep, torchStateDict, toTensor } from './optim-fixture.js';

/** float64 parameters agree with torch's to this (each step differs from torch by a few ulps). */
export const ATOL = 1e-12;

export function torchCaseTests(c: OptimCase): void {
  it(`${c.name}: parameters after each of 5 steps match torch to ${ATOL}`, () => {
    const params = freshParams(c);
    const opt = build(c, params);
    c.after.forEach((want, s) => {
      runStep(c, opt, params, s);
      want.forEach((w, i) => {
        assertClose(params[i]!.data.toTypedArray(), fixtureTensorData(w), {
          atol: ATOL,
          label: `${c.name} step ${s + 1} param ${i}`,
        });
      });
    });
  });

  it(`${c.name}: stateDict() after 5 steps matches torch's state_dict()`, () => {
    const params = freshParams(c);
    const opt = build(c, params);
    for (let s = 0; s < 5; s++) runStep(c, opt, params, s);
    const mine = opt.stateDict();
    const theirs = torchStateDict(c.state5);
    expect(mine.param_groups.length).toBe(theirs.param_groups.length);
    for (const [i, g] of mine.param_groups.entries()) expect(theirs.param_groups[i]).toMatchObject(g);
    expect(Object.keys(mine.state)).toEqual(Object.keys(theirs.state));
    for (const [k, entry] of Object.entries(theirs.state)) {
      const got = mine.state[Number(k)]!;
      expect(Object.keys(got).sort(), `state[${k}] keys`).toEqual(Object.keys(entry).sort());
      for (const [key, v] of Object.entries(entry)) {
        if (typeof v === 'number') expect(got[key], `state[${k}].${key}`).toBe(v);
        else assertClose((got[key] as typeof v).toTypedArray(), v.toTypedArray(), { atol: ATOL, label: key });
      }
    }
  });

  it(`${c.name}: loading torch's state after step 3 and running steps 4-5 gives torch's step 5`, () => {
    const params = c.after[2]!.map((t) => toTensor(t));
    const vars = freshParams(c);
    vars.forEach((v, i) => {
      v.data = params[i]!;
    });
    const opt = build(c, vars);
    opt.loadStateDict(torchStateDict(c.state3));
    for (let s = 3; s < 5; s++) runStep(c, opt, vars, s);
    c.after[4]!.forEach((w, i) => {
      assertClose(vars[i]!.data.toTypedArray(), fixtureTensorData(w), { atol: ATOL, label: `param ${i}` });
    });
  });
}
