// The desktop app's engine service: the shared service over the real engine,
// with the default repository location.

import type { EventSink, StrataApi } from '../shared/api';
import { createService } from '../engine/service/service';
import { defaultRepositoryPath, engineDeps } from '../engine/service/deps';

export function createAppService(emit: EventSink): StrataApi {
  return createService(engineDeps(defaultRepositoryPath()), emit);
}
