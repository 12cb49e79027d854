import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import type { ExceptionItem } from './model';

type Patch = components['schemas']['ExceptionPatch'];

/** PATCH /exceptions/{id}: take, resolve, waive. */
export type UpdateFn = (id: string, patch: Patch) => Promise<ExceptionItem>;

export const updateException: UpdateFn = (id, patch) =>
  call(api.PATCH('/api/v1/exceptions/{id}', { params: { path: { id } }, body: patch })) as Promise<ExceptionItem>;
