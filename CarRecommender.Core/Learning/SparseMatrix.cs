namespace CarRecommender.Core.Learning;

/// <summary>A compressed-sparse-row matrix of implicit feedback strengths (rows: users, columns: items, or the transpose).</summary>
public sealed class SparseMatrix
{
    public int Rows { get; }
    public int Columns { get; }
    public int[] RowStart { get; }
    public int[] ColumnIndex { get; }
    public float[] Values { get; }
    public int NonZeros => ColumnIndex.Length;

    public SparseMatrix(int rows, int columns, int[] rowStart, int[] columnIndex, float[] values)
    {
        if (rowStart.Length != rows + 1) throw new ArgumentException("rowStart needs rows + 1 entries", nameof(rowStart));
        if (columnIndex.Length != values.Length) throw new ArgumentException("one value per column index", nameof(values));
        Rows = rows;
        Columns = columns;
        RowStart = rowStart;
        ColumnIndex = columnIndex;
        Values = values;
    }

    /// <summary>Builds from (row, column, value) triples; duplicates are summed, entries ≤ 0 after summing are dropped.</summary>
    public static SparseMatrix FromTriples(int rows, int columns, IReadOnlyList<(int Row, int Column, float Value)> triples)
    {
        var byCell = new Dictionary<long, float>(triples.Count);
        foreach (var (r, c, v) in triples)
        {
            if ((uint)r >= rows || (uint)c >= columns) throw new ArgumentOutOfRangeException(nameof(triples), $"({r}, {c}) is outside {rows}×{columns}");
            var key = (long)r * columns + c;
            byCell[key] = byCell.GetValueOrDefault(key) + v;
        }
        var cells = byCell.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).ToArray();
        var rowStart = new int[rows + 1];
        var columnIndex = new int[cells.Length];
        var values = new float[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            var row = (int)(cells[i].Key / columns);
            rowStart[row + 1]++;
            columnIndex[i] = (int)(cells[i].Key % columns);
            values[i] = cells[i].Value;
        }
        for (var r = 0; r < rows; r++) rowStart[r + 1] += rowStart[r];
        return new SparseMatrix(rows, columns, rowStart, columnIndex, values);
    }

    public SparseMatrix Transpose()
    {
        var rowStart = new int[Columns + 1];
        foreach (var c in ColumnIndex) rowStart[c + 1]++;
        for (var c = 0; c < Columns; c++) rowStart[c + 1] += rowStart[c];
        var next = (int[])rowStart.Clone();
        var columnIndex = new int[NonZeros];
        var values = new float[NonZeros];
        for (var r = 0; r < Rows; r++)
        {
            for (var j = RowStart[r]; j < RowStart[r + 1]; j++)
            {
                var slot = next[ColumnIndex[j]]++;
                columnIndex[slot] = r;
                values[slot] = Values[j];
            }
        }
        return new SparseMatrix(Columns, Rows, rowStart, columnIndex, values);
    }
}
