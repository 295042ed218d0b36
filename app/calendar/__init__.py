"""iCal feeds and schedule import (the calendar issue fills this in)."""
