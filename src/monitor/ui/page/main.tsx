/**
 * The console page's entry: mounts the app into #app. Bundled by ../vite.config.ts into dist/ui/.
 */
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root === null) throw new Error("mqa console: the page has no #app element");
render(<App />, root);
