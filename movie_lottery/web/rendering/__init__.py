"""What pages are rendered with: the backdrop, the page cache, Jinja filters and the Russian words and
badges the library's cards show."""
