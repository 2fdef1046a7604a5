"""The release writer: data and meta files, data guidance, the zip, the preview and the Data
Docs of one release year, swapped in atomically (runs after the checks)."""
