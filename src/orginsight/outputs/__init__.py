"""What analysts get: charts, HTML pages and the posture review report."""
