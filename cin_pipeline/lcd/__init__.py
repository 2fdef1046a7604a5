"""The Longitudinal CIN Dataset (LCD): every staged census year linked per child within an LA.

Pure DuckDB SQL (``sql/*.sql``), no Dagster. :func:`build_lcd` reads the ``clean.*`` views and
(re)writes schema ``lcd``: ``child``, ``referral``, ``referral_factor``, ``episode``, in full or
for given LAs only. :func:`staged_signatures`, :func:`stored_state` and :func:`changed_las` tell
which LAs changed since the last build (state table ``lcd.build_state``).
"""

from cin_pipeline.lcd.build import (
    LCD_TABLES,
    build_lcd,
    changed_las,
    lcd_row_counts,
    lcd_version,
    staged_signatures,
    stored_state,
)

__all__ = ["LCD_TABLES", "build_lcd", "changed_las", "lcd_row_counts", "lcd_version",
           "staged_signatures", "stored_state"]
