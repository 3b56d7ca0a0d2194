"""Stage 7 (web): the Gradio chat on the same facade as the CLI.

`app` builds and launches the page, `handlers` answers its events, `views` renders results to HTML
through the autoescaping templates in `templates/`, `feedback` keeps the ratings, `state` is what a
conversation holds; the page's CSS and JS are files in `static/`.
"""
