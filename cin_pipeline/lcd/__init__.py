"""The Longitudinal CIN Dataset (LCD): every staged census year linked per child within an LA.

Pure DuckDB SQL (``sql/*.sql``), no Dagster. :func:`build_lcd` reads the ``clean.*`` views and
(re)writes schema ``lcd``: ``child``, ``referral``, ``referral_factor``, ``episode``.
"""

from cin_pipeline.lcd.build import LCD_TABLES, build_lcd, lcd_row_counts

__all__ = ["LCD_TABLES", "build_lcd", "lcd_row_counts"]
