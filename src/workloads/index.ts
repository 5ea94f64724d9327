// Workload metadata: which runtime workload (a Docker container, a Kubernetes pod sandbox) owns which
// namespace file, with its name, labels, network mode and state. One shape for every runtime.
export type { WorkloadInfo, WorkloadJoin, WorkloadSource, WorkloadSourceState, WorkloadState } from './types.js';
export { joinWorkload, type RuntimeView } from './join.js';
export { RuntimeApiError } from './errors/runtime-api-error.js';
export { dockerSource, DOCKER_RUNTIME, type DockerSourceOptions } from './docker/docker-source.js';
export { HttpDockerApi, type DockerApi, type DockerApiOptions, type EventStream } from './docker/docker-api.js';
export { parseContainer, foldState, CONTAINER_LIMITS } from './docker/parse-container.js';
export { pathNormaliser } from './normalise-path.js';
export { criSource, CRI_POLL_MS, type CriSourceOptions } from './cri/cri-source.js';
export { GrpcCriApi, CRI_RUNTIME, type CriApi, type CriApiVersion } from './cri/cri-api.js';
export { parsePod, networksOf, netnsPathOfInfo, NETWORKS_ANNOTATION } from './cri/parse-pod.js';
export { CRI_LIMITS, type PodSandboxSpec } from './cri/cri-messages.js';
export { workloadIdentity } from './identity.js';
