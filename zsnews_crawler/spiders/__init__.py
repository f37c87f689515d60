"""The two spiders. They only route: which links to follow, which responses
are articles; extraction is in zsnews_crawler.pages."""
