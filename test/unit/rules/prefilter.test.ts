// The string prefilter: which patterns' literals a text holds, and the few built last shared between their users.
import { expect, test } from "vitest";
import { createStringPrefilter } from "../../../src/rules/prefilter.js";

test("marks the patterns whose literals occur; a pattern without literals is never marked", () => {
  const p = createStringPrefilter([["EADDRINUSE", "address already in use"], undefined, ["MAC check failed"]]);
  const stamp = new Uint32Array(3);
  expect(p.mark("listen EADDRINUSE: address already in use :::9003", stamp, 7)).toBe(1);
  expect([...stamp]).toEqual([7, 0, 0]);
  expect(p.any("ValueError: MAC check failed")).toBe(true);
  expect(p.any("all quiet")).toBe(false);
});

test("equal literal sets share one prefilter (the matcher's and the gate's); others get their own", () => {
  const sets = () => [["EADDRINUSE"], ["Out of memory: Killed process"]];
  const a = createStringPrefilter(sets());
  expect(createStringPrefilter(sets())).toBe(a);
  const other = createStringPrefilter([["EADDRINUSE"]]);
  expect(other).not.toBe(a);
  // A set without literals is not the same as an empty one.
  expect(createStringPrefilter([undefined])).not.toBe(createStringPrefilter([[]]));
  // Only the few built last are kept: after others, the first is built again, and still answers the same.
  for (let k = 0; k < 8; k++) createStringPrefilter([[`literal ${k}`]]);
  const again = createStringPrefilter(sets());
  expect(again).not.toBe(a);
  const stamp = new Uint32Array(2);
  expect(again.mark("kernel: Out of memory: Killed process 42", stamp, 1)).toBe(1);
  expect([...stamp]).toEqual([0, 1]);
});
