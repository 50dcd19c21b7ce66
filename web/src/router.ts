// Hash routing (#/tasks/GUID): taskd serves one page at /, and every view is a URL that can be
// bookmarked, shared and reached with the back button.
export interface Route {
  /** Path segments after '#/', e.g. ['tasks', GUID]. */
  parts: string[];
  query: URLSearchParams;
}

/** What a view leaves running (polls, streams) is stopped when the route changes. */
export type Cleanup = () => void;
export type View = (main: HTMLElement, route: Route) => Cleanup | void;

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function go(path: string, query?: URLSearchParams): void {
  const search = query?.toString();
  location.hash = `#/${path}${search ? `?${search}` : ''}`;
}
