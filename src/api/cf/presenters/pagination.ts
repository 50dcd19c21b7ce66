// CF's pagination object (spec §6): total_results, total_pages (at least 1) and first/last/
// next/previous links carrying the caller's filters, keys sorted, form-encoded.
import type { CfListQuery } from '../messages/list-query.js';

export interface CfPagination {
  total_results: number;
  total_pages: number;
  first: { href: string };
  last: { href: string };
  next: { href: string } | null;
  previous: { href: string } | null;
}

export interface CfList<T> {
  pagination: CfPagination;
  resources: T[];
}

/** Rails' CGI.escape: everything but [A-Za-z0-9_.~-] is %-encoded, space becomes `+`. */
export function formEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export function presentPagination(url: string, query: CfListQuery, total: number): CfPagination {
  const totalPages = Math.max(1, Math.ceil(total / query.perPage));
  const link = (page: number) => {
    const params: [string, string][] = [...query.echo, ['page', String(page)], ['per_page', String(query.perPage)]];
    if (query.orderBy) params.push(['order_by', `${query.orderBy.direction === 'desc' ? '-' : '+'}${query.orderBy.column}`]);
    params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { href: `${url}?${params.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&')}` };
  };
  return {
    total_results: total,
    total_pages: totalPages,
    first: link(1),
    last: link(totalPages),
    next: query.page + 1 <= totalPages ? link(query.page + 1) : null,
    previous: query.page - 1 > 0 ? link(query.page - 1) : null,
  };
}

export function presentList<T>(url: string, query: CfListQuery, total: number, resources: T[]): CfList<T> {
  return { pagination: presentPagination(url, query, total), resources };
}
