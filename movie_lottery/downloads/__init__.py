"""qBittorrent wishes, stored before they are attempted, and the status snapshot the pages read."""
