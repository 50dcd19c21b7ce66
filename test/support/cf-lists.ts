// What Cloud Controller answers for a list with nothing in it, at `url` (its first page, 50 a page).
export const emptyCfList = (url: string) => ({
  pagination: {
    total_results: 0,
    total_pages: 1,
    first: { href: `${url}?page=1&per_page=50` },
    last: { href: `${url}?page=1&per_page=50` },
    next: null,
    previous: null,
  },
  resources: [],
});
