export { baseSettings, type BaseConfig, type ServiceNeeds, type ServicePorts } from './base-config';
export { promiseClient, type PromiseClient, type CallSettings } from './grpc-client';
export { GrpcServer, findProtoRoot, type GrpcServiceRegistration } from './grpc-server';
export { boundPort, closeServer, createOpsApp, listen } from './ops-server';
export { Readiness, type ReadinessCheck, type ReadinessReport } from './readiness';
export { issueStaffBearer, staffBearerAuth, staffCallerOf, StaffRoleError, StaffTokenError, verifyStaffBearer, type StaffCaller } from './staff-auth';
export {
  defineService,
  runMain,
  startService,
  EXIT_CONFIG,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type StartOptions,
} from './service';
