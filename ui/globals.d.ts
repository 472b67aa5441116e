// The parts of Tauri's global API (`app.withGlobalTauri`) that the frontend uses.
interface TauriChannel {
  onmessage: (message: unknown) => void;
}

interface TauriCore {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  Channel: new () => TauriChannel;
}

interface TauriEvent {
  listen(name: string, handler: (event: { payload?: unknown }) => void): Promise<() => void>;
}

interface Window {
  __TAURI__?: { core: TauriCore; event?: TauriEvent };
}
