/** `mqa/design`: requirements → recommended broker, topology spec, settings, test plan and rollback. */
export { advise, assess, backlogLimitOf, choiceLabel, Capacity } from "./advise.js";
export type { Assessment, Choice, Design } from "./advise.js";
export { requirementsSchema, parseSize } from "./requirements.js";
export type { Requirements, RequirementsInput } from "./requirements.js";
export { renderDesign, topologyYaml } from "./render.js";
