// filled by later issues
