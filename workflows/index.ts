// Every workflow the worker registers. Clients import message definitions from the files themselves.
export { incident } from './incident';
export { statusPage } from './statusPage';
export { maintenance } from './maintenance';
export { notify } from './notify';
export { drill } from './drill';
export { subscriptionConfirmation } from './subscriptionConfirmation';
