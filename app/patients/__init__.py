"""The people an account books for (就诊人) and their resident ID numbers."""
