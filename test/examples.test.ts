import { expect, it } from "vitest";
import { quickstart } from "../examples/quickstart.js";

it("the README quick start runs: o-1 is paid, the empty order is dead-lettered", async () => {
  expect(await quickstart()).toEqual(["o-1"]);
});
