export * from '../users/users.table.js';
export * from '../vault/blobs.table.js';
export * from '../library/assets.table.js';
export * from './settings.table.js';
