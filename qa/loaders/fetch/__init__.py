"""Stage 1 for everything fetched: one package, below cleaning, for all that touches the web.

`urls` (the one "is this a URL?" test, the default ports, canonical URLs, which addresses may be
fetched), `config` (`FetchConfig`, built once from the settings), `fetcher` (`Fetcher`, the one HTTP
client) with `bounds` (one request's deadline and bounded decoding), `feeds` (RSS/Atom), `state` (what
each URL gave last time) and `remote` (pages and feeds into `RawArticle`s, batch by batch). Nothing
here imports cleaning or anything above it; httpx and feedparser load only when used.
"""
