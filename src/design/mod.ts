/** `mqa/design`: requirements → recommended broker, topology spec, settings, test plan and rollback. */
export { advise, assess, backlogLimitOf, choiceLabel, Capacity } from "./advise.js";
export type { Assessment, Choice, Design } from "./advise.js";
export { requirementsSchema, systemRequirementsSchema, parseSize } from "./requirements.js";
export type { Requirements, RequirementsInput, SystemRequirementsInput } from "./requirements.js";
export { renderDesign, renderSystemDesign, topologyYaml } from "./render.js";
export { adviseSystem } from "./system.js";
export type { BrokerLoad, SystemDesign } from "./system.js";
