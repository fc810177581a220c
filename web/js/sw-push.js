// The service worker's push handlers, imported by /sw.js (`importScripts('/js/sw-push.js')`).
// A push from the notifier carries {title, body, url}: a short text without personal or claim
// details and a path of ours (an accident, "/accidents/<claim_id>", or its thread with
// "#messages"). It is shown as a notification; a click focuses a window already at that address,
// else takes a window of ours there, else opens one.
//
// Test hook: `self.claimsPush.open(notification)` does what a click does (close it, then focus,
// take or open the window). The browser tests call it from the worker (Playwright's
// service-worker evaluate), since no browser lets a script click a notification and a script's
// own NotificationEvent cannot waitUntil. Without a click's user activation the browser refuses
// focus() and openWindow(), so from the hook the page of ours is taken to the address.
(() => {
  const FALLBACK_TITLE = "お客さまWebサービス";
  const FALLBACK_PATH = "/accidents";

  /** Only a path of our own site: never another origin (nor "//host"), whatever a push says. */
  function pathOf(url) {
    if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return FALLBACK_PATH;
    const parsed = new URL(url, self.location.origin);
    if (parsed.origin !== self.location.origin) return FALLBACK_PATH;
    return parsed.pathname + parsed.search + parsed.hash;
  }

  function payloadOf(data) {
    if (!data) return {};
    try {
      const payload = data.json();
      return payload !== null && typeof payload === "object" ? payload : {};
    } catch {
      return { body: data.text() };
    }
  }

  function show(data) {
    const payload = payloadOf(data);
    const path = pathOf(payload.url);
    const title = typeof payload.title === "string" && payload.title ? payload.title : FALLBACK_TITLE;
    return self.registration.showNotification(title, {
      body: typeof payload.body === "string" ? payload.body : "",
      // One notification per address: a newer push about the same accident replaces the older.
      tag: path,
      renotify: true,
      data: { url: path },
    });
  }

  async function open(notification) {
    notification.close();
    const target = new URL(pathOf(notification.data?.url), self.location.origin).href;
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const there = windows.find((client) => client.url === target);
    if (there) return focus(there);
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      try {
        const taken = await client.navigate(target);
        if (taken) return focus(taken);
      } catch {
        // Not controlled by this worker yet: try the next, or open a window.
      }
    }
    return self.clients.openWindow(target);
  }

  async function focus(client) {
    try {
      return await client.focus();
    } catch {
      return client; // no user activation (the test hook): the window is there all the same
    }
  }

  self.addEventListener("push", (event) => {
    event.waitUntil(show(event.data));
  });

  self.addEventListener("notificationclick", (event) => {
    event.waitUntil(open(event.notification));
  });

  self.claimsPush = { show, open, pathOf };
})();
