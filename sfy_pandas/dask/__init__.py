"""``ddf.salesfinity``: the Dask face. Importing this package imports nothing of Dask.

:mod:`._hook` registers the accessor as soon as ``dask.dataframe`` is imported
(at once if it already is); :mod:`._accessor` and :mod:`._pipeline` are the face
itself and import Dask.
"""
