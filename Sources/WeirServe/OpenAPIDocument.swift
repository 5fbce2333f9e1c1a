/// The API's OpenAPI 3.0 description, served at `/api/v1/openapi.json` (schemathesis checks the
/// server against it in CI).
enum OpenAPIDocument {
    static let text = #"""
        {
          "openapi": "3.0.3",
          "info": {"title": "Weir", "version": "1", "description": "Runs, stage outputs and lookups of a Weir state directory."},
          "servers": [{"url": "/"}],
          "paths": {
            "/api/v1/pipelines": {"get": {"operationId": "listPipelines", "responses": {
              "200": {"description": "Pipelines that have runs", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pipelines"}}}}}}},
            "/api/v1/runs": {
              "get": {"operationId": "listRuns", "parameters": [
                  {"name": "pipeline", "in": "query", "schema": {"type": "string"}},
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["running", "ok", "failed", "interrupted"]}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                  {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
                "responses": {
                  "200": {"description": "A page of runs, newest first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Runs"}}}},
                  "400": {"$ref": "#/components/responses/Error"}}},
              "post": {"operationId": "startRun", "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunRequest"}}}},
                "responses": {
                  "202": {"description": "The run started", "content": {"application/json": {"schema": {"type": "object", "required": ["started", "pid"],
                    "properties": {"started": {"type": "boolean"}, "pid": {"type": "integer"}, "pipeline": {"type": "string"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}}}},
            "/api/v1/runs/{id}": {"get": {"operationId": "getRun",
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
              "responses": {
                "200": {"description": "A run and its stages", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunDetail"}}}},
                "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
            "/api/v1/outputs/{pipeline}/{name}": {"get": {"operationId": "getOutputRows",
              "description": "Rows of a stage's current output; name is STAGE or STAGE.PORT. format=csv or arrow downloads the whole output.",
              "parameters": [
                {"name": "pipeline", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1099511627776}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}},
                {"name": "columns", "in": "query", "schema": {"type": "string"}},
                {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "a column to order by (nulls last); sorted pages reach row 10,000"},
                {"name": "desc", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "arrow"]}}],
              "responses": {
                "200": {"description": "A page of rows", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rows"}},
                  "text/csv": {"schema": {"type": "string"}}, "application/vnd.apache.arrow.file": {"schema": {"type": "string", "format": "binary"}}}},
                "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                "410": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}},
            "/api/v1/lookup/{pipeline}/{name}": {"get": {"operationId": "lookupRows",
              "description": "Rows whose column equals a value: ?COLUMN=VALUE (one condition), compared as text.",
              "parameters": [
                {"name": "pipeline", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                {"name": "columns", "in": "query", "schema": {"type": "string"}}],
              "responses": {
                "200": {"description": "Matching rows", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rows"}}}},
                "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                "410": {"$ref": "#/components/responses/Error"}}}}
          },
          "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "What was wrong", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
              "Error": {"type": "object", "required": ["error", "status"], "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
              "Pipelines": {"type": "object", "required": ["pipelines"], "properties": {"pipelines": {"type": "array", "items": {"type": "object",
                "required": ["name", "file", "runs", "last_run_id", "last_status"], "properties": {"name": {"type": "string"}, "file": {"type": "string"},
                "runs": {"type": "integer"}, "last_run_id": {"type": "string"}, "last_status": {"type": "string"}, "last_started_at": {"type": "number"}}}}}},
              "Run": {"type": "object", "required": ["run_id", "pipeline", "status", "started_at", "counts"], "properties": {
                "run_id": {"type": "string"}, "pipeline": {"type": "string"}, "pipeline_file": {"type": "string"}, "status": {"type": "string"},
                "started_at": {"type": "number"}, "finished_at": {"type": "number", "nullable": true},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}},
              "Runs": {"type": "object", "required": ["runs", "total", "limit", "offset"], "properties": {
                "runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}, "total": {"type": "integer"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
              "RunDetail": {"type": "object", "required": ["run", "stages"], "properties": {"run": {"$ref": "#/components/schemas/Run"},
                "stages": {"type": "array", "items": {"type": "object", "required": ["stage", "type", "status"], "properties": {
                  "stage": {"type": "string"}, "type": {"type": "string"}, "status": {"type": "string"}, "reason": {"type": "string", "nullable": true},
                  "seconds": {"type": "number", "nullable": true}, "error": {"type": "string", "nullable": true}, "attempts": {"type": "integer"},
                  "notes": {"type": "array", "items": {"type": "string"}}, "outputs": {"type": "array", "items": {"type": "object"}}}}}}},
              "Rows": {"type": "object", "required": ["stage", "port", "digest", "rows_total", "columns", "rows"], "properties": {
                "stage": {"type": "string"}, "port": {"type": "string"}, "digest": {"type": "string"}, "rows_total": {"type": "integer"},
                "offset": {"type": "integer"}, "limit": {"type": "integer"}, "matches": {"type": "integer"},
                "columns": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"}}}},
                "rows": {"type": "array", "items": {"type": "object"}}}},
              "RunRequest": {"type": "object", "required": ["pipeline"], "properties": {"pipeline": {"type": "string"},
                "select": {"type": "array", "items": {"type": "string"}}, "params": {"type": "object", "additionalProperties": {"type": "string"}}}}
            }
          }
        }
        """#
}
