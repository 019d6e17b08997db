"""English date formats that no reader can take the wrong way round: "3 Dec 2026", never
"12/03/2026" (3 December in the US, 12 March in the UK). Input formats stay Django's."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
