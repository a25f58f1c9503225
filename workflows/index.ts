// Every workflow the worker registers. Clients import workflows/contracts/*, never these modules.
export { incident } from './incident';
export { statusPage } from './statusPage';
export { maintenance } from './maintenance';
export { notify } from './notify';
export { drill } from './drill';
export { subscriptionConfirmation } from './subscriptionConfirmation';
export { alertCorrelation } from './correlation';
