// Template filling for incident titles and report text: the same helper the correlator's `derive` uses.
// It is implemented one floor down (correlate needs it and may not import from incidents) and re-exported
// here so that report and bot code find it with the incident they are rendering.
export { fillTemplate } from "../correlate/index.js";
