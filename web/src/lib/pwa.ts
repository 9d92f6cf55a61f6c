// The installable app on the page: registers the service worker (src/sw/
// sw.ts, served as ./sw.js by a build, never in `npm run dev` nor in the
// desktop shell), tells when a new build is waiting, and lets it take over
// (then the page reloads once).

export interface UpdateWatch {
  /** the registration, once the worker is registered */
  registration: Promise<ServiceWorkerRegistration | null>;
  /** makes the waiting worker take over; the page reloads when it has */
  apply(): void;
}

/** Whether this page should register the worker. */
export function wantsServiceWorker(kind: string, dev: boolean, nav: Navigator | undefined): boolean {
  return kind === 'http' && !dev && !!nav && 'serviceWorker' in nav;
}

/**
 * Registers ./sw.js and calls onUpdate when a new worker is installed and
 * waiting behind the one that controls this page (a new build).
 */
export function registerServiceWorker(nav: Navigator, onUpdate: () => void): UpdateWatch {
  const sw = nav.serviceWorker;
  let waiting: ServiceWorker | null = null;
  let reloading = false;
  const had = !!sw.controller;
  sw.addEventListener('controllerchange', () => {
    // the first install takes control without a reload; a new build reloads
    if (!had || reloading) return;
    reloading = true;
    location.reload();
  });
  const note = (w: ServiceWorker | null) => {
    if (w && sw.controller) {
      waiting = w;
      onUpdate();
    }
  };
  const registration = sw
    .register('./sw.js', { scope: './' })
    .then((reg) => {
      note(reg.waiting);
      reg.addEventListener('updatefound', () => {
        const w = reg.installing;
        w?.addEventListener('statechange', () => {
          if (w.state === 'installed') note(w);
        });
      });
      return reg;
    })
    .catch(() => null);
  return {
    registration,
    apply() {
      waiting?.postMessage({ type: 'skipWaiting' });
    },
  };
}
