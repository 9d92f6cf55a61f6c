// The API token where the service worker can read it: IndexedDB (a worker
// has no sessionStorage), database corral-push, store kv, key "token". The
// page writes it when push is on (lib/push.ts) and at every start while it
// is (the token changes with each `corral serve`); the worker reads it to
// answer a permission request from a notification's Allow / Deny. It is
// never put in a URL.

const DB = 'corral-push';
const STORE = 'kv';
const KEY = 'token';

function open(idb: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = idb.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function run<T>(idb: IDBFactory, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open(idb).then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const r = fn(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(r.result);
        };
        tx.onerror = tx.onabort = () => {
          db.close();
          reject(tx.error);
        };
      }),
  );
}

export function saveToken(token: string, idb: IDBFactory = indexedDB): Promise<unknown> {
  return run(idb, 'readwrite', (s) => s.put(token, KEY));
}

export function readToken(idb: IDBFactory = indexedDB): Promise<string | null> {
  return run(idb, 'readonly', (s) => s.get(KEY)).then((v) => (typeof v === 'string' ? v : null));
}

export function clearToken(idb: IDBFactory = indexedDB): Promise<unknown> {
  return run(idb, 'readwrite', (s) => s.delete(KEY));
}
