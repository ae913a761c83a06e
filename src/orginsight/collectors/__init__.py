"""Live collectors: AWS API pages (get_*) -> pure transforms (transform_*) -> DataFrames."""
